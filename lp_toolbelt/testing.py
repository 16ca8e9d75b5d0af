"""pytest plugin for users' handler tests (fixtures ``lp_emulator`` and ``toolbelt``)."""
