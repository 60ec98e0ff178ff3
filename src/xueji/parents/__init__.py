"""Parents: accounts proven by an SMS code, bound to children only through a guardian
phone the school recorded, and the phone-change application (家长联系方式变更申请)."""
