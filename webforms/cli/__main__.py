"""`python -m webforms.cli …`, the same as `doithoai …`."""

from webforms.cli import main

main()
