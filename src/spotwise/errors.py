"""Errors a user can cause, reported as one line and exit code 2."""


class UserError(Exception):
    """Bad input from a user: a flag, a file, a config value.

    The message names the input and says how to fix it. The CLI prints it on one
    line and exits with code 2; nothing has been changed when it is raised.
    """

    def __init__(self, subject: str, problem: str, fix: str = "") -> None:
        self.subject = subject
        self.problem = problem
        self.fix = fix
        text = f"{subject}: {problem}"
        if fix:
            text += f"; {fix}"
        super().__init__(text)
