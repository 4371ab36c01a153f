"""What runs the program: the real Pulumi CLI, the engine stand-in, the provider-host driver."""
