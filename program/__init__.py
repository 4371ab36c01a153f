"""The Pulumi program's own logic: its settings and the plan of what to declare for which bucket."""
