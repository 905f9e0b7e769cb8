"""Pages of the points module (积分): thin views over :mod:`ningju.points.services` and
:mod:`ningju.points.selectors`.

* :mod:`.staff` — the overview, an account's ledger, awarding, reversals, reviewing declarations;
* :mod:`.setup` — rulebooks and rules, households, opening accounts, linking a villager's login;
* :mod:`.boards` — the members' board and the red and black lists, publishing them, the public board page;
* :mod:`.mine` — a villager's own points, declaring, the village publicity list and objections;
* :mod:`.shop` — the points shop for villagers and for its keepers.
"""
