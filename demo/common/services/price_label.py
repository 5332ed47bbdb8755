"""A computed field: a product's price as the shop shows it (never stored)."""


def service(context):
    return lambda record: f"{record.price:.2f} €"
