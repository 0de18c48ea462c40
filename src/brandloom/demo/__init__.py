"""The bundled demo: a brand, 10,000 synthetic multilingual contacts and a campaign template."""
