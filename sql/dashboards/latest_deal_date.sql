-- The latest date on any deal, created or closed.
SELECT max(greatest(created_at, coalesce(closed_at, created_at))) AS latest FROM dash_deals
