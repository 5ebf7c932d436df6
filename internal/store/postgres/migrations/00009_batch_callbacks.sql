-- Batch completion callbacks: a batch's callback_url is called once when
-- every row is terminal, and once more after each retry round (round)
-- completes; notified_round is the last round called back, so a round is
-- called back once however many workers finish its last rows at once (see
-- store.Batches.CompleteBatch).
--
-- This migration depends on 00004 only.

-- +goose Up
ALTER TABLE batches ADD COLUMN callback_url text NOT NULL DEFAULT '';
ALTER TABLE batches ADD COLUMN round integer NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN notified_round integer NOT NULL DEFAULT -1;

-- +goose Down
ALTER TABLE batches DROP COLUMN notified_round;
ALTER TABLE batches DROP COLUMN round;
ALTER TABLE batches DROP COLUMN callback_url;
