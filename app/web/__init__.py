"""What the blueprints share, apart from them: full page or block rendering, who the actor is and ``requires``,
templating helpers, security headers and cookie sessions, fingerprinted assets, the OpenAPI document, and the
case-file loaders of the forms' views."""
