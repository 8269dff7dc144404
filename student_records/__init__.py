"""People, roles, organisations, classes, enrolments and accommodations."""
