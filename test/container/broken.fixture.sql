-- No accounts table: deploy.sql of broken.yaml stops on the missing object.
CREATE TABLE public.invoices (id bigint PRIMARY KEY, total numeric);
