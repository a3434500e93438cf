"""flask --app kiosk ... commands for school IT."""
import time

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from ..content import easyread, translations
from ..content.loading import ContentError
from ..services import load_checked_content, services
from ..voice import models
from ..voice.service import VoiceService


@click.command("check-content")
@with_appcontext
def check_content_command():
    """Check content/, translations, easy-read rules and symbols; name the item at fault."""
    try:
        symbols, content = load_checked_content(current_app.config)
    except ContentError as exc:
        raise click.ClickException(str(exc)) from None
    problems = easyread.check(content, symbols=symbols)
    if problems:
        raise click.ClickException(
            f"{len(problems)} easy-read problem{'s' * (len(problems) != 1)} "
            "(see content/README.md, \"Easy-read rules\"):\n"
            + "\n".join(str(problem) for problem in problems))
    from ..safeguarding.workflows import check_staff_content
    try:
        staff_side = check_staff_content(current_app.config["CONTENT_DIR"], content)
    except ValueError as exc:  # a staff-side content file (categories, body map, form)
        raise click.ClickException(str(exc)) from None
    tiles = sum(len(p.tiles) for p in content.pages.values())
    count = len(content.languages)
    click.echo(f"Content is valid: {len(content.pages)} pages, {tiles} tiles, "
               f"{len(content.rules)} urgency rules, {count} language{'s' * (count != 1)}, "
               f"symbol pack '{symbols.chosen.name}'; {staff_side}.")
    for language in content.languages.values():
        lacking = translations.missing(content, language)
        status = (f"{len(lacking)} string{'s' * (len(lacking) != 1)} missing "
                  f"(shown in English): {', '.join(lacking)}" if lacking else "complete")
        click.echo(f"  {language.code}: {language.name} ({language.english_name}), "
                   f"{language.direction}: {status}")


@click.group("speech", cls=AppGroup)
def speech_group():
    """Speech commands."""


@speech_group.command("build-cache")
def build_cache_command():
    """Render the audio for every phrase in the content ahead of time."""
    svc = services()
    if svc.content is None:
        raise click.ClickException(svc.error)
    started = time.perf_counter()
    try:
        rendered = svc.speech.render_all()
    except Exception as exc:
        raise click.ClickException(str(exc)) from None
    total = len(svc.speech)
    click.echo(f"Speech cache ready: {total} phrases in {len(svc.content.languages)} "
               f"languages, {rendered} rendered now, "
               f"in {time.perf_counter() - started:.1f} s.")


@speech_group.command("install-model")
@click.argument("source")
@click.option("--name", default="", help="Folder name for the model (default: from the zip).")
@click.option("--no-load-check", is_flag=True,
              help="Skip loading the model once to prove it works (faster, less safe).")
def install_model_command(source, name, no_load_check):
    """Install a vosk model zip (a file, or a URL) and make it the active model."""
    words = _content_words()
    try:
        folder, unknown = models.install(source, current_app.instance_path, name,
                                         load_check=not no_load_check,
                                         words=[models.UNKNOWN_WORD, *words])
    except models.ModelError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Installed vosk model '{folder.name}' and made it active. "
               "Restart the server to use it.")
    if unknown is None:
        click.echo("Its words were not checked against the content (--no-load-check).")
    _echo_warnings(models.vocabulary_warnings(unknown or set(), words))


def _content_words():
    """The content's {word: [page ids]}, or none when the content does not load."""
    content = services().content
    return models.content_words(content) if content is not None else {}


def _echo_warnings(warnings):
    """Each warning on a line of its own, to stderr with the other problems."""
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)


@speech_group.command("status")
def status_command():
    """Say which speech recognition engine and model the kiosk will use, and why."""
    config = current_app.config
    # What the server would use if started now: the same checks it makes at start.
    voice = VoiceService(current_app.instance_path, config["VOSK_MODEL"],
                         config["VOICE_MAX_STREAMS"], whisper=config["VOICE_WHISPER"])
    voice.load()
    status = voice.status()
    click.echo(f"Speech input engine: {status['engine']} ({status['model']})")
    if status["words_engine"] != status["engine"]:
        click.echo(f"A pupil's own words: {status['words_engine']} ({status['words_model']})")
    elif voice.vosk is None:
        click.echo(f"A pupil's own words: {status['engine']} too (Whisper: "
                   f"{status['whisper_problem'] or 'not loaded'})")
    if status["vosk_model"] and not status["vosk_problem"]:
        click.echo(f"vosk model: {status['vosk_model']}")
    else:
        click.echo(f"vosk: not in use: {status['vosk_problem']}")
    if voice.model_path is not None and models.is_static(voice.model_path):
        _echo_warnings(["the vosk model in use does not suit the kiosk: "
                        + models.STATIC_PROBLEM])
    if voice.vosk is not None:
        words = _content_words()
        unknown = {word for word in [models.UNKNOWN_WORD, *words] if not voice.vosk.knows(word)}
        _echo_warnings(models.vocabulary_warnings(unknown, words))
    click.echo(f"Speech output: pyttsx3, voice {current_app.config['SPEECH_VOICE']}, "
               f"rate {current_app.config['SPEECH_RATE']}")


def init_app(app):
    from . import (audit as cli_audit, content as cli_content, escalation as cli_escalation,
        kiosks as cli_kiosks, symbols as cli_symbols, users as cli_users)
    from . import backup as cli_backup, doctor as cli_doctor
    from . import transfer as cli_transfer
    from . import pupils as cli_pupils
    from . import service as cli_service
    cli_service.register(app)
    for command in (check_content_command, speech_group):
        app.cli.add_command(command)
    for module in (cli_users, cli_kiosks, cli_escalation, cli_audit, cli_symbols, cli_content,
                   cli_doctor, cli_backup, cli_transfer, cli_pupils):
        module.register(app)
