"""From configuration and catalog to what the packer decides over; capacity-type policy."""
