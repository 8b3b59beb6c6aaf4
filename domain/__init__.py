"""The jointcase domain: leads, cases, jurisdictions, their rules and the use cases that store them."""
