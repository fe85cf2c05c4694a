"""Optional integrations, each imported only when used (``foxapi_core.integrations.ray_data``)."""
