"""The tool's own state: platforms, keys, launches, units, block fields and scores to send.

Submissions and their grading are not here: they live in the block's submission store
(``sabaq_xblock.submissions``), exactly as inside Open edX. Each table has one writer:
``registry`` (platforms), ``keys`` (tool keys), ``oidc`` (used nonces), ``launches`` (people,
resource links and sessions),
``content`` (units), ``runtime`` (block fields) and ``scores`` (the score outbox).
"""

from __future__ import annotations

from django.db import models


class Platform(models.Model):
    """An LMS registered with the tool: one issuer and client id (Canvas uses one issuer for
    every school, so the pair is the key)."""

    issuer = models.CharField(max_length=255)
    client_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    auth_login_url = models.URLField(max_length=500)
    auth_token_url = models.URLField(max_length=500)
    keyset_url = models.URLField(max_length=500)
    service_hosts = models.JSONField(default=list)
    """Hosts (``lms.example.edu``, or ``.instructure.com`` for every subdomain) besides those of
    the four URLs above where the platform's services (line items, scores, Deep Linking returns)
    may be: the tool sends its bearer token and a browser's form nowhere else."""
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["issuer", "client_id"], name="platform_issuer_client"),)


class Deployment(models.Model):
    """A deployment of the tool in a platform (``deployment_id`` claim): launches name one."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(max_length=255)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["platform", "deployment_id"], name="deployment_unique"),)


class ToolKey(models.Model):
    """One of the tool's RSA keys: the newest signs; the one before stays in the JWKS so
    platforms that cached it still verify what it signed before a rotation."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField()
    created = models.DateTimeField(auto_now_add=True)


class UsedNonce(models.Model):
    """The nonce of a login whose launch was accepted: a second launch with it is a replay. The
    login itself stores nothing (its state is signed, ``oidc``); rows older than a login may
    live are deleted."""

    nonce = models.CharField(max_length=64, unique=True)
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE)
    used_at = models.FloatField()


class Learner(models.Model):
    """A person from a platform (``sub``), known to the block's store as ``str(id)``."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE)
    sub = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["platform", "sub"], name="learner_unique"),)


class Unit(models.Model):
    """A notebook of an installed module bundle, as the block's OLX (``sabaq_notebook``)."""

    module_id = models.CharField(max_length=255)
    module_version = models.CharField(max_length=64)
    module_title = models.CharField(max_length=255)
    item = models.CharField(max_length=500)
    title = models.CharField(max_length=255)
    graded = models.BooleanField()
    max_score = models.FloatField()
    olx = models.TextField()
    installed = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["module_id", "module_version", "item"], name="unit_unique"),)


class ResourceLink(models.Model):
    """A placement of a unit in a platform's course: one block (``usage_id``) and, for a graded
    unit, the line item its scores go to. Its key includes the course (``context_id``): a link id
    a course copy kept still makes another block, in that course."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE)
    deployment_id = models.CharField(max_length=255)
    resource_link_id = models.CharField(max_length=255)
    context_id = models.CharField(max_length=255, blank=True)
    context_title = models.CharField(max_length=255, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT)
    usage_id = models.CharField(max_length=64, unique=True)
    lineitem = models.CharField(max_length=1000, blank=True)
    lineitems = models.CharField(max_length=1000, blank=True)

    class Meta:
        constraints = (models.UniqueConstraint(fields=["platform", "deployment_id", "context_id", "resource_link_id"],
                                               name="resource_link_unique"),)


class LaunchSession(models.Model):
    """What a launch proved: who, with which role, in which resource link (or deep-linking
    request). Its random ``key`` is in the page's and handlers' URLs; ``browser`` is the hash of
    the browser cookie of the launch, which every later request must carry too, so a session URL
    given to someone else opens nothing."""

    key = models.CharField(max_length=64, unique=True)
    browser = models.CharField(max_length=64)
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE)
    instructor = models.BooleanField()
    link = models.ForeignKey(ResourceLink, null=True, on_delete=models.CASCADE)
    deployment_id = models.CharField(max_length=255)
    locale = models.CharField(max_length=35, blank=True)
    deep_linking = models.JSONField(null=True)
    expires = models.FloatField()


class FieldValue(models.Model):
    """One XBlock field value of a block (content, settings) or of a learner in it (user state)."""

    usage_id = models.CharField(max_length=64)
    scope = models.CharField(max_length=32)
    user_id = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=64)
    value = models.JSONField()

    class Meta:
        constraints = (models.UniqueConstraint(fields=["usage_id", "scope", "user_id", "name"], name="field_unique"),)


class ScoreOutbox(models.Model):
    """A score to send to a platform's line item: kept until the platform accepts it."""

    link = models.ForeignKey(ResourceLink, on_delete=models.CASCADE)
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE)
    score = models.FloatField()
    max_score = models.FloatField()
    timestamp = models.CharField(max_length=40)
    tries = models.IntegerField(default=0)
    next_try = models.FloatField()
    sent = models.FloatField(null=True)
    last_error = models.TextField(blank=True)
    claimed_until = models.FloatField(default=0)
