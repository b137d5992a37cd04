"""The JSON API, compatible with the Hugging Face papers API."""
