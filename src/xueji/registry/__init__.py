"""学籍: regions, schools, classes, students, guardians, corrections, enrollment changes,
bulk import and the info sheet. Every change is audited and published to the outbox in
the same transaction."""
