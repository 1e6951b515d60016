"""The RQ worker class of the Procfile's worker pool: RQ's SimpleWorker (no fork per job, see
workers/runtime.py), after the settings and rules have been checked. `rq worker-pool` imports
this module before it starts any worker, so a bad rules file stops the pool at once."""

from rq.worker import SimpleWorker

from config.startup import refuse_unless_ready

refuse_unless_ready()


class Worker(SimpleWorker):
    pass
