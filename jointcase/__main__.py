from jointcase.cli import app

app()
