"""What every router needs, below the domains: the app state, the request's session and its
``AuthContext`` (``deps``). The API package builds the app; domain routers import only this."""
