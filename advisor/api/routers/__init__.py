"""The API's routers, one per resource: catalog (plans, GPUs, health), recommend, chat, runs."""
