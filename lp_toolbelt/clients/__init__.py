"""One thin client per LivePerson capability; all of them send through the Toolbelt's shared transport."""
