-- Exam items carry a catalogue price: what a gift of the item is worth in service recovery.
-- NULL when the item has no list price.
ALTER TABLE exam_items ADD COLUMN list_currency TEXT NOT NULL DEFAULT '';
ALTER TABLE exam_items ADD COLUMN list_price_minor BIGINT;
