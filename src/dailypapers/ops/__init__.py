"""Operating a site: the self-check behind ``dailypapers doctor``."""
