-- The branch's street address, for reminders and the front desk ('' until set).
ALTER TABLE branches ADD COLUMN address TEXT NOT NULL DEFAULT '';
