"""Import every domain's models so that the metadata knows all tables."""
from accounts.models import *  # noqa: F401,F403
from billing.models import *  # noqa: F401,F403
from billing.invoice_models import *  # noqa: F401,F403
from bookings.models import *  # noqa: F401,F403
from bookings.waitlist_models import *  # noqa: F401,F403
from bookings.listing_models import *  # noqa: F401,F403
from bookings.tenancy_models import *  # noqa: F401,F403
from calendars.models import *  # noqa: F401,F403
from core.models import *  # noqa: F401,F403
from spaces.models import *  # noqa: F401,F403
