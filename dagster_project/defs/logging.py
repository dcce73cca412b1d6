"""The run's logger for people: one line per event on the terminal, everything in the run's log file.

The CLI runs it quiet: the terminal shows only the stage lines (logged with `progress(...)`) and warnings or
errors, and the log file (DATA_DIR/logs/, named in the build summary) gets every event, Dagster's DEBUG events and
full error texts included. Without that config (`make dev`, the daemon) it prints every INFO line, as before.
"""

import logging
import sys
from typing import Any

import dagster as dg

# `extra=` of a log call that is one of a stage's progress lines: the quiet terminal shows only these (and
# warnings/errors), so each stage must log at most a line or two with it
PROGRESS = "warehouse_progress"


def progress(log: logging.Logger, message: str) -> None:
    """Log a stage's progress line (shown on the quiet terminal); everything else a stage logs goes to the file."""
    log.info(message, extra={PROGRESS: True})


def _parts(record: logging.LogRecord) -> tuple[str, str]:
    """Dagster's structured message is "job - run_id - [pid -] step - [event -] message": the step and the message."""
    meta = getattr(record, "dagster_meta", None)
    if isinstance(meta, dict):
        return meta.get("step_key") or "", str(meta.get("orig_message") or "")
    parts = record.getMessage().split(" - ")
    return (parts[-2] if len(parts) >= 4 else ""), parts[-1]


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        step, message = _parts(record)
        text = message.strip().splitlines()[0] if message.strip() else ""
        stamp = self.formatTime(record, "%H:%M:%S")
        return f"{stamp} {record.levelname:<5} {step + ': ' if step else ''}{text}"[:400]


class _Full(logging.Formatter):
    """The log file's line: the whole message, a failure's error text included (Dagster appends it)."""

    def format(self, record: logging.LogRecord) -> str:
        step, message = _parts(record)
        full = record.getMessage()
        text = full[full.find(message) :] if message and message in full else full
        return f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<5} {step + ': ' if step else ''}{text}"


def _quiet(record: logging.LogRecord) -> bool:
    """The quiet terminal: stage lines, and warnings or errors except Dagster's own step/run events and its notes
    on steps left out after a failure (the build summary restates the failure)."""
    if getattr(record, PROGRESS, False):
        return True
    meta = getattr(record, "dagster_meta", None) or {}
    framework = meta.get("dagster_event") is not None or str(meta.get("orig_message", "")).startswith(
        "Dependencies for step "
    )
    return record.levelno >= logging.WARNING and not framework


@dg.logger(
    config_schema={
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "quiet": dg.Field(bool, is_required=False, default_value=False, description="terminal: stage lines only"),
        "log_file": dg.Field(str, is_required=False, description="every event, DEBUG included, appended here"),
    },
    description="One line per event on stderr (only the stage lines when quiet); tracebacks stay in the Dagster "
    "event log and in log_file.",
)
def concise_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    config: dict[str, Any] = init_context.logger_config
    logger = logging.getLogger("loyalty_warehouse")
    for old in logger.handlers:  # a previous run's in this process
        old.close()
    logger.handlers.clear()
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(config["log_level"])
    terminal.setFormatter(_OneLine())
    if config["quiet"]:
        terminal.addFilter(_quiet)
    logger.addHandler(terminal)
    level = logging.getLevelName(config["log_level"])
    if config.get("log_file"):
        file = logging.FileHandler(config["log_file"], mode="a", encoding="utf-8")
        file.setLevel(logging.DEBUG)
        file.setFormatter(_Full())
        logger.addHandler(file)
        level = logging.DEBUG
    logger.setLevel(level)
    logger.propagate = False
    return logger
