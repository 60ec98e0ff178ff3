"""学籍异动: enrollment changes, transfers between schools, admission of students who
left another school, and the history of each student's changes."""
