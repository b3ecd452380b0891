"""The presentation layer: the short phrases (labels), terminal tables (text), Markdown, JSON forms, table rows for
the app, and charts. The CLI, the API, the app and the chat format results only through these."""
