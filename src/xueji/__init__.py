"""xueji — 学籍 (student registry) and 智慧教育平台 (platform accounts) in one service."""

__version__ = "0.1.0"
