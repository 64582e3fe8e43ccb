"""The `spotwise` command line."""
