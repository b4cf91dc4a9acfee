"""Response headers that django-csp and Django's SecurityMiddleware do not set."""

from django.conf import settings

# Browser features the site never uses. The camera is added per page below.
DISABLED_FEATURES = (
    "accelerometer=()",
    "autoplay=()",
    "display-capture=()",
    "geolocation=()",
    "gyroscope=()",
    "magnetometer=()",
    "microphone=()",
    "payment=()",
    "usb=()",
)


class PermissionsPolicyMiddleware:
    """Permissions-Policy: no camera, microphone, location or payment anywhere, except the
    camera on the pages in OPENDAY_CAMERA_PATHS (the check-in desk's QR scanner)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.camera_paths = tuple(settings.OPENDAY_CAMERA_PATHS)
        self.default_policy = ", ".join(("camera=()", *DISABLED_FEATURES))
        self.camera_policy = ", ".join(("camera=(self)", *DISABLED_FEATURES))

    def __call__(self, request):
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            camera = self.camera_paths and request.path_info.startswith(self.camera_paths)
            response["Permissions-Policy"] = self.camera_policy if camera else self.default_policy
        return response
