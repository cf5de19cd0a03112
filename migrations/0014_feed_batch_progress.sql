-- A progress bar needs a denominator: the worker estimates a batch's data rows from the file's
-- line count before it parses (CSV; an XLSX sheet's is known only once read). An estimate, since
-- a quoted cell may hold a line break; the bar is capped below 100 % until the batch is done.
ALTER TABLE feed_batches ADD COLUMN rows_expected integer CHECK (rows_expected >= 0);
