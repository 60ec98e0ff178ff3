"""The verification path for unactivated accounts (the article's section 三): the
student's diagnosis, the school's queue of unmatched accounts with differences and
candidates, and the school's notice to a student whose own entry is wrong."""
