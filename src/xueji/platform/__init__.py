"""智慧教育平台: student accounts, activation against the registry, capabilities,
resources, learning records and the archive."""
