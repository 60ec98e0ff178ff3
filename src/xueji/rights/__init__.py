"""The family's rights over a child's data (PIPL arts. 44–47): a copy of everything the
service holds about the child, and erasure of the child's platform accounts."""
