"""Department data feeds (DOMAIN §7.1): batches, the reader, the pipeline the worker runs."""
