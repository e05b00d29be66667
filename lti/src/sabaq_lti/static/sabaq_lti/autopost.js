/* Sends the Deep Linking response form back to the platform as soon as the page loads. */
document.getElementById("sabaq-lti-return").submit();
