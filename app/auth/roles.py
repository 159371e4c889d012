"""Server-side role checks for every route."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

ROLE_HOME = {
    "candidate": "exam.home",
    "proctor": "proctor.home",
    "grader": "grading.queue",
    "lead_grader": "grading.queue",
    "coordinator": "coordinator.home",
}


def role_required(*roles: str):
    """Allow the view only to signed-in users holding one of the roles; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403, description="Your role does not give access to this page.")
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # read by the role x route test matrix
        return wrapped

    return decorator
