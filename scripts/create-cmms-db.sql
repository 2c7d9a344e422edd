-- Creates the CMMS database next to Airflow's metadata database (docker-compose only).
CREATE DATABASE cmms OWNER airflow;
