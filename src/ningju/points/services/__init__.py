"""Writes of the points module: :mod:`.ledger` (append-only entries, ``post_points`` for other modules,
reversals), :mod:`.declarations` (申报 → 审核 → 公示 → 入账), :mod:`.shop` (积分超市), :mod:`.setup`
(accounts, households, rulebooks, shops) and :mod:`.boards` (publishing boards)."""
