"""Storage: schema, engine and migrations, paper writes (``papers``) and reads (``queries``)."""
