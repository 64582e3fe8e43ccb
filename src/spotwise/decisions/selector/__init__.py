"""Instance-type selection: filters with amazon-ec2-instance-selector's semantics, and more."""
