"""A console logger for people: one line per event, no stack traces (those stay in the run's event log / UI)."""

import logging
import sys

import dagster as dg


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        # Dagster's structured message: "job - run_id - step - message"; keep the step and first message line
        parts = message.split(" - ")
        step = parts[-2] if len(parts) >= 4 else ""
        text = parts[-1].strip().splitlines()[0] if parts[-1].strip() else ""
        stamp = self.formatTime(record, "%H:%M:%S")
        return f"{stamp} {record.levelname:<5} {step + ': ' if step else ''}{text}"[:400]


@dg.logger(
    config_schema={"log_level": dg.Field(str, is_required=False, default_value="INFO")},
    description="One line per event on stderr; tracebacks stay in the Dagster event log.",
)
def concise_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    logger = logging.getLogger("loyalty_warehouse")
    logger.setLevel(init_context.logger_config["log_level"])
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    logger.addHandler(handler)
    logger.propagate = False
    return logger
