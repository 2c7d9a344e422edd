# Airflow image with this project's provider/plugin installed from the pinned lock.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.txt pyproject.toml /opt/qbo-sync/
COPY --chown=airflow:root plugins /opt/qbo-sync/plugins
COPY --chown=airflow:root sandbox /opt/qbo-sync/sandbox
RUN pip install --no-cache-dir -r /opt/qbo-sync/requirements.txt \
 && pip install --no-cache-dir --no-deps -e /opt/qbo-sync
