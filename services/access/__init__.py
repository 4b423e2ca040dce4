"""access: who may read which request (P3, P4, P6), with every read audited."""
