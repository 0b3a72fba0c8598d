-- 005: number reserved for another branch of the second release (unique jobs, limits); nothing here.
-- No inputs. When that branch's 005 lands, this file is removed.
SELECT 1;
