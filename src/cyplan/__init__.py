"""cyplan: needs-based planning for children and young people's services."""

import os

# Polars' allocator (jemalloc) keeps freed memory for half a second to a second before giving it back (Polars sets
# dirty_decay_ms:500,muzzy_decay_ms:1000): checking a big file frees and takes hundreds of MB well within that, so
# the process's peak was its live memory plus what it had just freed (issue 11, part 7: about 780 against 690 MB
# on a 200 MB file full of errors). Give it back at once. The setting is read when Polars loads, so it is made
# here, before anything imports Polars; a setting of the user's own is kept (Polars' own, inherited from a parent
# process that loaded it, is not the user's).
_POLARS_DEFAULT = "dirty_decay_ms:500,muzzy_decay_ms:1000"
if os.environ.get("_RJEM_MALLOC_CONF", _POLARS_DEFAULT) == _POLARS_DEFAULT:
    os.environ["_RJEM_MALLOC_CONF"] = "dirty_decay_ms:0,muzzy_decay_ms:0"
