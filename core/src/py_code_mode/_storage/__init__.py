"""Where skills, artifacts, the deps list and tool definitions live."""
