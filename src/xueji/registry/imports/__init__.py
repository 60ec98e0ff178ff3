"""批量导入: reading, checking, staging and applying a school's roster file.

Stages in order: ``files`` (read as text) → ``rules`` (check, column-at-once) →
``prepare`` (encrypt and index, in helper processes for large files) → ``apply``
(compare with the registry, write) → ``report`` (error report, template). ``service`` is the
use case that routes, pages and the CLI call."""
