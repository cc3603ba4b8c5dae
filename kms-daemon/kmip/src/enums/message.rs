//! Enumerations of the message layer: operations, results, batch options, credentials, Query.

use super::kmip_enum;

kmip_enum! {
    /// Operation (KMIP 1.4 §9.1.3.2.27; 1.1 added Re-key Key Pair and Discover Versions, 1.2 the
    /// cryptographic operations, 1.4 Import/Export, 2.0 the rest).
    Operation {
        Create = 0x01, "Create";
        CreateKeyPair = 0x02, "Create Key Pair";
        Register = 0x03, "Register";
        ReKey = 0x04, "Re-key";
        DeriveKey = 0x05, "Derive Key";
        Certify = 0x06, "Certify";
        ReCertify = 0x07, "Re-certify";
        Locate = 0x08, "Locate";
        Check = 0x09, "Check";
        Get = 0x0A, "Get";
        GetAttributes = 0x0B, "Get Attributes";
        GetAttributeList = 0x0C, "Get Attribute List";
        AddAttribute = 0x0D, "Add Attribute";
        ModifyAttribute = 0x0E, "Modify Attribute";
        DeleteAttribute = 0x0F, "Delete Attribute";
        ObtainLease = 0x10, "Obtain Lease";
        GetUsageAllocation = 0x11, "Get Usage Allocation";
        Activate = 0x12, "Activate";
        Revoke = 0x13, "Revoke";
        Destroy = 0x14, "Destroy";
        Archive = 0x15, "Archive";
        Recover = 0x16, "Recover";
        Validate = 0x17, "Validate";
        Query = 0x18, "Query";
        Cancel = 0x19, "Cancel";
        Poll = 0x1A, "Poll";
        Notify = 0x1B, "Notify";
        Put = 0x1C, "Put";
        ReKeyKeyPair = 0x1D, "Re-key Key Pair";
        DiscoverVersions = 0x1E, "Discover Versions";
        Encrypt = 0x1F, "Encrypt";
        Decrypt = 0x20, "Decrypt";
        Sign = 0x21, "Sign";
        SignatureVerify = 0x22, "Signature Verify";
        Mac = 0x23, "MAC";
        MacVerify = 0x24, "MAC Verify";
        RngRetrieve = 0x25, "RNG Retrieve";
        RngSeed = 0x26, "RNG Seed";
        Hash = 0x27, "Hash";
        CreateSplitKey = 0x28, "Create Split Key";
        JoinSplitKey = 0x29, "Join Split Key";
        Import = 0x2A, "Import";
        Export = 0x2B, "Export";
        Log = 0x2C, "Log";
        Login = 0x2D, "Login";
        Logout = 0x2E, "Logout";
        DelegatedLogin = 0x2F, "Delegated Login";
        AdjustAttribute = 0x30, "Adjust Attribute";
        SetAttribute = 0x31, "Set Attribute";
        SetEndpointRole = 0x32, "Set Endpoint Role";
        Pkcs11 = 0x33, "PKCS#11";
        Interop = 0x34, "Interop";
        ReProvision = 0x35, "Re-Provision";
    }
}

kmip_enum! {
    /// Result Status (KMIP 1.4 §9.1.3.2.28).
    ResultStatus {
        Success = 0x00, "Success";
        OperationFailed = 0x01, "Operation Failed";
        OperationPending = 0x02, "Operation Pending";
        OperationUndone = 0x03, "Operation Undone";
    }
}

kmip_enum! {
    /// Result Reason (KMIP 1.4 §9.1.3.2.29; 0x19 onwards are KMIP 2.0's).
    ResultReason {
        ItemNotFound = 0x01, "Item Not Found";
        ResponseTooLarge = 0x02, "Response Too Large";
        AuthenticationNotSuccessful = 0x03, "Authentication Not Successful";
        InvalidMessage = 0x04, "Invalid Message";
        OperationNotSupported = 0x05, "Operation Not Supported";
        MissingData = 0x06, "Missing Data";
        InvalidField = 0x07, "Invalid Field";
        FeatureNotSupported = 0x08, "Feature Not Supported";
        OperationCanceledByRequester = 0x09, "Operation Canceled By Requester";
        CryptographicFailure = 0x0A, "Cryptographic Failure";
        IllegalOperation = 0x0B, "Illegal Operation";
        PermissionDenied = 0x0C, "Permission Denied";
        ObjectArchived = 0x0D, "Object archived";
        IndexOutOfBounds = 0x0E, "Index Out of Bounds";
        ApplicationNamespaceNotSupported = 0x0F, "Application Namespace Not Supported";
        KeyFormatTypeNotSupported = 0x10, "Key Format Type Not Supported";
        KeyCompressionTypeNotSupported = 0x11, "Key Compression Type Not Supported";
        EncodingOptionError = 0x12, "Encoding Option Error";
        KeyValueNotPresent = 0x13, "Key Value Not Present";
        AttestationRequired = 0x14, "Attestation Required";
        AttestationFailed = 0x15, "Attestation Failed";
        Sensitive = 0x16, "Sensitive";
        NotExtractable = 0x17, "Not Extractable";
        ObjectAlreadyExists = 0x18, "Object Already Exists";
        InvalidTicket = 0x19, "Invalid Ticket";
        UsageLimitExceeded = 0x1A, "Usage Limit Exceeded";
        NumericRange = 0x1B, "Numeric Range";
        InvalidDataType = 0x1C, "Invalid Data Type";
        ReadOnlyAttribute = 0x1D, "Read Only Attribute";
        MultiValuedAttribute = 0x1E, "Multi Valued Attribute";
        UnsupportedAttribute = 0x1F, "Unsupported Attribute";
        AttributeInstanceNotFound = 0x20, "Attribute Instance Not Found";
        AttributeNotFound = 0x21, "Attribute Not Found";
        AttributeReadOnly = 0x22, "Attribute Read Only";
        AttributeSingleValued = 0x23, "Attribute Single Valued";
        BadCryptographicParameters = 0x24, "Bad Cryptographic Parameters";
        BadPassword = 0x25, "Bad Password";
        CodecError = 0x26, "Codec Error";
        IllegalObjectType = 0x28, "Illegal Object Type";
        IncompatibleCryptographicUsageMask = 0x29, "Incompatible Cryptographic Usage Mask";
        InternalServerError = 0x2A, "Internal Server Error";
        InvalidAsynchronousCorrelationValue = 0x2B, "Invalid Asynchronous Correlation Value";
        InvalidAttribute = 0x2C, "Invalid Attribute";
        InvalidAttributeValue = 0x2D, "Invalid Attribute Value";
        InvalidCorrelationValue = 0x2E, "Invalid Correlation Value";
        InvalidCsr = 0x2F, "Invalid CSR";
        InvalidObjectType = 0x30, "Invalid Object Type";
        KeyWrapTypeNotSupported = 0x32, "Key Wrap Type Not Supported";
        MissingInitializationVector = 0x34, "Missing Initialization Vector";
        NonUniqueNameAttribute = 0x35, "Non Unique Name Attribute";
        ObjectDestroyed = 0x36, "Object Destroyed";
        ObjectNotFound = 0x37, "Object Not Found";
        NotAuthorised = 0x39, "Not Authorised";
        ServerLimitExceeded = 0x3A, "Server Limit Exceeded";
        UnknownEnumeration = 0x3B, "Unknown Enumeration";
        UnknownMessageExtension = 0x3C, "Unknown Message Extension";
        UnknownTag = 0x3D, "Unknown Tag";
        UnsupportedCryptographicParameters = 0x3E, "Unsupported Cryptographic Parameters";
        UnsupportedProtocolVersion = 0x3F, "Unsupported Protocol Version";
        WrappingObjectArchived = 0x40, "Wrapping Object Archived";
        WrappingObjectDestroyed = 0x41, "Wrapping Object Destroyed";
        WrappingObjectNotFound = 0x42, "Wrapping Object Not Found";
        WrongKeyLifecycleState = 0x43, "Wrong Key Lifecycle State";
        ProtectionStorageUnavailable = 0x44, "Protection Storage Unavailable";
        Pkcs11CodecError = 0x45, "PKCS#11 Codec Error";
        Pkcs11InvalidFunction = 0x46, "PKCS#11 Invalid Function";
        Pkcs11InvalidInterface = 0x47, "PKCS#11 Invalid Interface";
        GeneralFailure = 0x100, "General Failure";
    }
}

kmip_enum! {
    /// Batch Error Continuation Option (KMIP 1.4 §9.1.3.2.30).
    BatchErrorContinuationOption {
        Continue = 0x01, "Continue";
        Stop = 0x02, "Stop";
        Undo = 0x03, "Undo";
    }
}

kmip_enum! {
    /// Credential Type (KMIP 1.4 §9.1.3.2.1; Device is 1.1's, Attestation 1.2's, the rest 2.0's).
    CredentialType {
        UsernameAndPassword = 0x01, "Username and Password";
        Device = 0x02, "Device";
        Attestation = 0x03, "Attestation";
        OneTimePassword = 0x04, "One Time Password";
        HashedPassword = 0x05, "Hashed Password";
        Ticket = 0x06, "Ticket";
    }
}

kmip_enum! {
    /// Query Function (KMIP 1.4 §9.1.3.2.24; 0x05–0x06 are 1.1's, 0x07 1.2's, 0x08–0x0C 1.3's,
    /// 0x0D–0x0E 2.0's).
    QueryFunction {
        QueryOperations = 0x01, "Query Operations";
        QueryObjects = 0x02, "Query Objects";
        QueryServerInformation = 0x03, "Query Server Information";
        QueryApplicationNamespaces = 0x04, "Query Application Namespaces";
        QueryExtensionList = 0x05, "Query Extension List";
        QueryExtensionMap = 0x06, "Query Extension Map";
        QueryAttestationTypes = 0x07, "Query Attestation Types";
        QueryRngs = 0x08, "Query RNGs";
        QueryValidations = 0x09, "Query Validations";
        QueryProfiles = 0x0A, "Query Profiles";
        QueryCapabilities = 0x0B, "Query Capabilities";
        QueryClientRegistrationMethods = 0x0C, "Query Client Registration Methods";
        QueryDefaultsInformation = 0x0D, "Query Defaults Information";
        QueryStorageProtectionMasks = 0x0E, "Query Storage Protection Masks";
    }
}
